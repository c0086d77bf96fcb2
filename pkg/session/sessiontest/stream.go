package sessiontest

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/session"
)

// StreamImage is s as a DynamoDB stream record carries it
// (session.ToStreamImage); an error fails the test.
func StreamImage(tb testing.TB, s *session.Session) map[string]events.DynamoDBAttributeValue {
	tb.Helper()
	img, err := session.ToStreamImage(s)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}
