// Command ws-connect is the WebSocket API's $connect route. Wiring only: the
// behaviour is in pkg/wsapi, the construction in pkg/stack/wsstack (the
// composition root).
package main

import (
	"github.com/ahca/ahca/pkg/stack/wsstack"
	"github.com/ahca/ahca/pkg/wsapi"
)

func main() { wsstack.Start("ws-connect", (*wsapi.Handlers).Connect) }
