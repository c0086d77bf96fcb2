package conversation

import (
	"context"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/intake"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
)

// Assistants gives the scripted agent the same knowledge and calendar the
// AI agent's tools use, so both features work with no model (offline, or
// during an LLM outage). Use it as Engine.NewAgent.
func Assistants(find func(ctx context.Context, id tenant.ID) (tools.KnowledgeSearcher, error), bookings booking.Store) func(*business.Business) Agent {
	return func(b *business.Business) Agent {
		opts := intake.Options{Bookings: bookings}
		if find != nil {
			opts.Knowledge = lazyKnowledge{find: find, id: b.ID}
		}
		return intake.NewWith(b, opts)
	}
}

// lazyKnowledge finds the business's searcher on first use.
type lazyKnowledge struct {
	find func(ctx context.Context, id tenant.ID) (tools.KnowledgeSearcher, error)
	id   tenant.ID
}

func (k lazyKnowledge) Search(ctx context.Context, q string, n int) ([]knowledge.Result, error) {
	s, err := k.find(ctx, k.id)
	if err != nil {
		return nil, err
	}
	return s.Search(ctx, q, n)
}
