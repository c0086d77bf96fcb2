package wsapi

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/sessionend"
)

// StagePosters posts to the stage an event came from: the management
// endpoint is https://{domainName}/{stage}, unless Override names one (a
// custom domain).
type StagePosters struct {
	Override  string
	Endpoints relay.Endpoints
}

// For returns the poster for the event's API stage.
func (s *StagePosters) For(rc events.APIGatewayWebsocketProxyRequestContext) sessionend.Poster {
	endpoint := s.Override
	if endpoint == "" {
		endpoint = "https://" + rc.DomainName + "/" + rc.Stage
	}
	return s.Endpoints.For(endpoint)
}
