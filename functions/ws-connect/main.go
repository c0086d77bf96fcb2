// Command ws-connect is the WebSocket API's $connect route. Wiring only: the
// behaviour is in pkg/wsapi.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/wsapi"
)

func main() {
	h, err := wsapi.FromEnvironment(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ws-connect: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(h.Connect)
}
