// Package web holds the web client's files — the standalone chat page and
// the embeddable widget — for the stack to serve (pkg/webhost, the
// web-assets function). `ahca dev` serves the same files from disk.
package web

import "embed"

// Files are the files a browser loads: the page, widget.js, the modules,
// the styles and the icon (not the tests or node packages).
//
//go:embed index.html widget.js icon.svg js css
var Files embed.FS
