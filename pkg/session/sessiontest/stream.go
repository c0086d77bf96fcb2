package sessiontest

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
)

// StreamImage is s as a DynamoDB stream record carries it
// (session.ToStreamImage); an error fails the test.
func StreamImage(tb testing.TB, s *session.Session) map[string]events.DynamoDBAttributeValue {
	tb.Helper()
	return must(tb, session.ToStreamImage)(s)
}

// StreamAttributes is item as a stream record carries it
// (session.ToStreamAttributes); an error fails the test.
func StreamAttributes(tb testing.TB, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	tb.Helper()
	return must(tb, session.ToStreamAttributes)(item)
}

// must is conv failing the test on an error.
func must[In, Out any](tb testing.TB, conv func(In) (Out, error)) func(In) Out {
	return func(in In) Out {
		tb.Helper()
		out, err := conv(in)
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}
}
