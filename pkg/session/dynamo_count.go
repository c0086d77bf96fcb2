package session

import (
	"context"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// CallCounter counts a DynamoDB client's operations by name (GetItem,
// Query, PutItem, ...), to hold the hot path to its budget of store round
// trips. It counts API calls, not HTTP attempts: an SDK retry of a call is
// not counted again. Safe for concurrent use.
//
//	var c session.CallCounter
//	client := dynamodb.New(opts, c.Option())
type CallCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// Option returns a client option that installs the counting middleware; pass
// it to dynamodb.New or to a single call.
func (c *CallCounter) Option() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, c.addMiddleware)
	}
}

func (c *CallCounter) addMiddleware(stack *middleware.Stack) error {
	// After, so the service metadata (the operation name) is in the context.
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ahcaCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.add(awsmiddleware.GetOperationName(ctx))
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (c *CallCounter) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[op]++
}

// Counts returns a copy of the counts since the last Reset.
func (c *CallCounter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.counts)
	if out == nil {
		out = map[string]int{}
	}
	return out
}

// Reset sets every count to zero.
func (c *CallCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.counts)
}
