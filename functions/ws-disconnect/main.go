// Command ws-disconnect is the WebSocket API's $disconnect route: it ends
// the connection's session. Wiring only: the behaviour is in
// pkg/sessionend, the construction in pkg/stack/endstack (the composition
// root), which links neither the agents nor the model.
package main

import "github.com/ahca/ahca/pkg/stack/endstack"

func main() { endstack.StartDisconnect("ws-disconnect") }
