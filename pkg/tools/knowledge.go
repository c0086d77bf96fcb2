package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/tenant"
)

// NameSearchKnowledgeBase is the knowledge tool's name.
const NameSearchKnowledgeBase = "search_knowledge_base"

// knowledgeTopK is how many passages the model gets.
const knowledgeTopK = 3

// maxPassage bounds one passage's text in the result, in characters.
const maxPassage = 1200

// KnowledgeSearcher searches one business's knowledge; *knowledge.Searcher
// is one. A knowledge.FallbackError with results means the results came
// from the lexical search instead of the embedding search.
type KnowledgeSearcher interface {
	Search(ctx context.Context, query string, k int) ([]knowledge.Result, error)
}

// KnowledgeTool is search_knowledge_base: the best passages of the
// session's business's knowledge base for the model's query, with scores,
// headings, section ids and sources. find returns the searcher of a
// business (cached by the caller as it sees fit); it is asked only for
// env.Business.ID, never for a business the arguments name, and a passage
// of any other business is dropped. A nil searcher, or no passage, gives a
// result saying there is no answer in the knowledge base. Enabled by
// features.ragEnabled.
func KnowledgeTool(find func(ctx context.Context, biz tenant.ID) (KnowledgeSearcher, error)) Def {
	return Def{
		Name: NameSearchKnowledgeBase,
		Description: "Search this business's knowledge base (products, pricing, policies, support, how things work) to answer " +
			"the caller's question. Pass the question as a short search query in plain words. Returns up to 3 passages, best first, " +
			"with a relevance score. Answer only from passages that actually answer the question, in your own short spoken words; " +
			"if none do, or found is false, say you don't have that information and offer to have the team follow up. Never guess.",
		Parameters: objectSchema([]string{"query"},
			`"query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "What the caller wants to know, as a short search query, e.g. \"price of the team plan\" or \"HubSpot integration\"."}`),
		Enabled: func(b *business.Business) bool { return b.Features.RAG },
		Run: withArgs(func(ctx context.Context, env Env, a knowledgeArgs) (Outcome, error) {
			return runKnowledge(ctx, env, a, find)
		}),
	}
}

type passage struct {
	Rank      int     `json:"rank"`
	Score     float64 `json:"score"`
	Heading   string  `json:"heading"`
	SectionID string  `json:"section_id"`
	Source    string  `json:"source"`
	Text      string  `json:"text"`
}

type knowledgeResult struct {
	Query    string    `json:"query"`
	Found    bool      `json:"found"`
	Passages []passage `json:"passages"`
	Note     string    `json:"note"`
}

type knowledgeArgs struct {
	Query string `json:"query"`
}

func runKnowledge(ctx context.Context, env Env, a knowledgeArgs, find func(context.Context, tenant.ID) (KnowledgeSearcher, error)) (Outcome, error) {
	query := oneLine(a.Query)
	if query == "" {
		return Outcome{}, Invalidf("query is empty: pass what the caller wants to know in a few plain words")
	}
	biz := env.Business.ID
	var s KnowledgeSearcher
	if find != nil {
		var err error
		if s, err = find(ctx, biz); err != nil {
			return Outcome{}, fmt.Errorf("knowledge base of %s: %w", biz, err)
		}
	}
	var results []knowledge.Result
	var searchErr error
	if s != nil {
		results, searchErr = s.Search(ctx, query, knowledgeTopK)
		if searchErr != nil && !errors.As(searchErr, new(*knowledge.FallbackError)) {
			return Outcome{}, fmt.Errorf("knowledge search: %w", searchErr)
		}
	}
	res := knowledgeResult{Query: query, Passages: []passage{}}
	var sections []string
	for _, r := range results {
		if r.Chunk.BusinessID != biz {
			// A searcher of another business: never show its text.
			searchErr = errors.Join(searchErr, fmt.Errorf("knowledge search for %s returned chunk %s of %s; dropped", biz, r.Chunk.ID, r.Chunk.BusinessID))
			continue
		}
		if len(res.Passages) == knowledgeTopK {
			break
		}
		res.Passages = append(res.Passages, passage{
			Rank: len(res.Passages) + 1, Score: math.Round(r.Score*1000) / 1000, Heading: r.Chunk.Heading,
			SectionID: r.Chunk.SectionID, Source: r.Chunk.Source, Text: clip(r.Chunk.Text, maxPassage),
		})
		sections = append(sections, r.Chunk.SectionID)
	}
	res.Found = len(res.Passages) > 0
	if res.Found {
		res.Note = "Answer only from a passage that answers the question, briefly and in your own words. If none does, say you don't have that information and offer a follow-up from the team."
	} else {
		res.Note = "No answer in the knowledge base for this question. Tell the caller you don't have that information, do not guess, and offer to have the team follow up."
	}
	out := Result(res)
	detail := clip(query, 200) + " → "
	if res.Found {
		detail += strings.Join(sections, ", ")
	} else {
		detail += "no answer"
	}
	out.Event = &agent.Event{Kind: agent.EventKnowledgeSearch, Detail: detail}
	out.Err = searchErr
	return out, nil
}
