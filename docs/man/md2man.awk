# md2man.awk: turns one of kmirror's Markdown documents (docs/lua.md,
# docs/plugin-sdk.md) into a manual page, at build time, so that the page and
# the document are one text. It knows the Markdown those documents use:
# headings, paragraphs, fenced code, "- " lists, tables, `code`, **bold**,
# *emphasis* and [text](link).
#
#   awk -v name=kmirror-lua -v section=7 -v title="..." -v version=V -f md2man.awk doc.md
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function inline(s,    out, pre, code) {
	s = esc(s)
	# [text](link) -> text (link), unless the link is a local file
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		pre = substr(s, RSTART, RLENGTH)
		code = pre
		sub(/^\[/, "", code)
		sub(/\]\(.*$/, "", code)
		s = substr(s, 1, RSTART - 1) code substr(s, RSTART + RLENGTH)
	}
	out = ""
	while (match(s, /`[^`]*`/)) {
		code = substr(s, RSTART + 1, RLENGTH - 2)
		out = out substr(s, 1, RSTART - 1) "\\fB" code "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	while (match(s, /\*\*[^*]+\*\*/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
	while (match(s, /(^|[ (])\*[^* ][^*]*\*/)) {
		pre = substr(s, RSTART, 1) == "*" ? "" : substr(s, RSTART, 1)
		code = substr(s, RSTART + length(pre) + 1, RLENGTH - length(pre) - 2)
		s = substr(s, 1, RSTART - 1) pre "\\fI" code "\\fR" substr(s, RSTART + RLENGTH)
	}
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}
function cells(line, arr,    n, i) {
	sub(/^ *\| */, "", line)
	sub(/ *\| *$/, "", line)
	n = split(line, arr, / *\| */)
	for (i = 1; i <= n; i++)
		arr[i] = inline(arr[i])
	return n
}
BEGIN {
	printf ".\\\" Generated from the Markdown by md2man.awk: do not edit.\n"
	printf ".TH %s %s \"\" \"kmirror %s\" \"%s\"\n", toupper(name), section, version, manual
	printf ".SH NAME\n%s \\- %s\n", esc(name), title
	code = 0; first = 1
}
END { flush() }
/^```/ {
	if (code) { print ".fi\n.RE"; code = 0 } else { print ".PP\n.RS 4\n.nf"; code = 1 }
	next
}
code {
	line = esc($0)
	if (line ~ /^[.']/)
		line = "\\&" line
	print line
	next
}
/^# / {
	if (first) { print ".SH DESCRIPTION"; first = 0; next }
}
/^#+ / {
	level = index($0, " ") - 1
	sub(/^#+ /, "")
	if (level <= 2) print ".SH " toupper(inline($0))
	else print ".SS " inline($0)
	next
}
# A table's rows become tagged paragraphs: the first cell the tag, the
# others the text; the header row (the one before "| --- |") is left out.
function flush(    i, rest) {
	if (!held) return
	printf ".TP\n%s\n", hc[1] == "" ? "\\&" : hc[1]
	rest = ""
	for (i = 2; i <= hn; i++)
		if (hc[i] != "") rest = rest (rest == "" ? "" : " \\(em ") hc[i]
	print rest
	held = 0
}
/^\|/ {
	if ($0 ~ /^\| *---/) { held = 0; next }
	flush()
	hn = cells($0, hc)
	held = 1
	next
}
{ flush() }
/^- / {
	sub(/^- /, "")
	print ".IP \\(bu 2"
	print inline($0)
	next
}
/^[0-9]+\. / {
	num = $0; sub(/\..*/, "", num)
	sub(/^[0-9]+\. /, "")
	print ".IP " num ". 4"
	print inline($0)
	next
}
/^[ \t]*$/ {
	intable = 0
	para = 1
	next
}
{
	if (para && $0 !~ /^  /) { print ".PP"; para = 0 }
	else if (para) para = 0
	t = $0
	sub(/^ +/, "", t)
	print inline(t)
}
