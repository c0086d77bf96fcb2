// Command ws-connect is the WebSocket API's $connect route. Wiring only: the
// behaviour is in pkg/wsapi, the construction in pkg/stack/wsstack (the
// composition root).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/stack/wsstack"
)

func main() {
	h, err := wsstack.Build(os.Getenv)
	stack.Exit("ws-connect", err)
	lambda.Start(h.Connect)
}
