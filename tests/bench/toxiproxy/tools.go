//go:build tools
// +build tools

// Package tools only records the toxiproxy server command as a dependency of
// this module, so that `go mod tidy` keeps it and its requirements in go.mod
// and go.sum. It is never compiled (build tag "tools").
package tools

import _ "github.com/Shopify/toxiproxy/v2/cmd/server"
