// Command ws-connect is the WebSocket API's $connect route. Wiring only: the
// behaviour is in pkg/wsapi, the construction in pkg/stack/wsstack (the
// composition root).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/stack/wsstack"
)

func main() {
	c, err := wsstack.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ws-connect: %v\n", err)
		os.Exit(1)
	}
	h, err := wsstack.New(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ws-connect: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Connect)
}
