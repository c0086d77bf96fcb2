// Command hello is the yardstick of infra/scripts/coldstart.sh: the smallest
// aws-lambda-go function, built exactly as the real ones (make build's
// flags), so that its INIT duration under aws-lambda-rie is what any Go
// Lambda pays on this machine, and each function's INIT is reported as a
// multiple of it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
