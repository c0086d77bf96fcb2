// Command hello is a Lambda function for the emulator tests: it answers
// with its process id and environment, sleeps when asked, and fails or
// panics when asked.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	SleepMS int
	Fail    bool
	Panic   bool
}

type reply struct {
	PID   int
	Stage string
	Home  string
}

func main() {
	lambda.Start(func(ctx context.Context, e event) (reply, error) {
		time.Sleep(time.Duration(e.SleepMS) * time.Millisecond)
		if e.Fail {
			return reply{}, errors.New("asked to fail")
		}
		if e.Panic {
			panic("asked to panic")
		}
		return reply{PID: os.Getpid(), Stage: os.Getenv("STAGE"), Home: os.Getenv("HOME")}, nil
	})
}
