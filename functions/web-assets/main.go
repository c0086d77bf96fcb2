// Command web-assets serves the chat page, the embeddable widget
// (widget.js and its modules) and each business's public info behind the
// web HTTP API: wiring only; the behaviour is in pkg/webhost, the
// construction in pkg/stack/webstack (the composition root).
package main

import "github.com/ahca/ahca/pkg/stack/webstack"

func main() { webstack.Start("web-assets") }
