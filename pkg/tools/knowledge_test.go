package tools

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/knowledge"
	"github.com/ahca/ahca/pkg/tenant"
)

const sampleKnowledge = "../../configs/businesses/sherpaprompt/knowledge"

// knowledgeFinder serves the sample knowledge for sherpaprompt only, and
// records which businesses were asked for.
type knowledgeFinder struct {
	mu    sync.Mutex
	asked []tenant.ID
	s     *knowledge.Searcher
}

func (f *knowledgeFinder) find(_ context.Context, biz tenant.ID) (KnowledgeSearcher, error) {
	f.mu.Lock()
	f.asked = append(f.asked, biz)
	f.mu.Unlock()
	if biz != "sherpaprompt" {
		return nil, nil
	}
	return f.s, nil
}

func newKnowledgeFinder(t *testing.T) *knowledgeFinder {
	t.Helper()
	s, err := knowledge.OpenDir(sampleKnowledge, "sherpaprompt", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &knowledgeFinder{s: s}
}

type searchFunc func(ctx context.Context, query string, k int) ([]knowledge.Result, error)

func (f searchFunc) Search(ctx context.Context, query string, k int) ([]knowledge.Result, error) {
	return f(ctx, query, k)
}

func TestSearchKnowledgeBase(t *testing.T) {
	ctx := context.Background()
	sp := biz(t, "sherpaprompt")
	f := newKnowledgeFinder(t)
	r := NewRegistry(KnowledgeTool(f.find))

	if got := names(r.For(sp)); !slices.Equal(got, []string{NameSearchKnowledgeBase}) {
		t.Errorf("sherpaprompt (ragEnabled) is offered %v", got)
	}
	vet := biz(t, "maple-street-vet")
	if vet.Features.RAG {
		t.Fatal("the test expects maple-street-vet without ragEnabled")
	}
	if got := r.For(vet); len(got) != 0 {
		t.Errorf("a business without ragEnabled is offered %v", names(got))
	}
	vs := newSession(vet)
	if e := errorOf(t, r.Execute(ctx, Env{Business: vet, Session: vs}, call(NameSearchKnowledgeBase, `{"query": "price"}`))); !strings.Contains(e, "not available") {
		t.Errorf("a business without ragEnabled ran it: %q", e)
	}

	env := Env{Business: sp, Session: newSession(sp)}
	out := r.Execute(ctx, env, call(NameSearchKnowledgeBase, `{"query": "Do you integrate with HubSpot?"}`))
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	m := decode(t, out)
	ps, _ := m["passages"].([]any)
	if m["found"] != true || len(ps) == 0 || len(ps) > 3 {
		t.Fatalf("result %s", out.Content)
	}
	top := ps[0].(map[string]any)
	if top["section_id"] != "sherpaprompt_product#integrations_crm" || top["source"] != "product.json" || top["rank"] != 1.0 ||
		!strings.Contains(top["heading"].(string), "CRM") || !strings.Contains(top["text"].(string), "HubSpot") || top["score"].(float64) <= 0 {
		t.Errorf("top passage %v", top)
	}
	if out.Event == nil || out.Event.Kind != agent.EventKnowledgeSearch || !strings.Contains(out.Event.Detail, "integrations_crm") {
		t.Errorf("event %+v", out.Event)
	}

	out = r.Execute(ctx, env, call(NameSearchKnowledgeBase, `{"query": "weather on mars tomorrow"}`))
	m = decode(t, out)
	if m["found"] != false || len(m["passages"].([]any)) != 0 || !strings.Contains(m["note"].(string), "No answer in the knowledge base") || out.Err != nil {
		t.Errorf("no answer: %s (%v)", out.Content, out.Err)
	}

	// Arguments never choose the business.
	if e := errorOf(t, r.Execute(ctx, env, call(NameSearchKnowledgeBase, `{"query": "price", "businessId": "superior-fencing"}`))); e == "" {
		t.Error("a businessId argument was accepted")
	}
	if e := errorOf(t, r.Execute(ctx, env, call(NameSearchKnowledgeBase, `{"query": "  \t "}`))); !strings.Contains(e, "query is empty") {
		t.Errorf("blank query: %q", e)
	}
	if e := errorOf(t, r.Execute(ctx, env, call(NameSearchKnowledgeBase, `{}`))); e == "" {
		t.Error("a missing query was accepted")
	}
	for _, b := range f.asked {
		if b != "sherpaprompt" {
			t.Errorf("find was asked for %s", b)
		}
	}
}

func TestSearchKnowledgeBaseFailures(t *testing.T) {
	ctx := context.Background()
	sp := biz(t, "sherpaprompt")
	env := Env{Business: sp, Session: newSession(sp)}
	chunk := func(b tenant.ID, text string) knowledge.Result {
		return knowledge.Result{Chunk: knowledge.Chunk{ID: "s#x/0", BusinessID: b, SectionID: "s#x", Heading: "X", Source: "x.md", Text: text}, Score: 1.5}
	}
	run := func(find func(context.Context, tenant.ID) (KnowledgeSearcher, error)) Outcome {
		return NewRegistry(KnowledgeTool(find)).Execute(ctx, env, call(NameSearchKnowledgeBase, `{"query": "discount"}`))
	}

	// No knowledge base at all.
	out := run(func(context.Context, tenant.ID) (KnowledgeSearcher, error) { return nil, nil })
	if m := decode(t, out); m["found"] != false || out.Err != nil {
		t.Errorf("no searcher: %s", out.Content)
	}
	out = run(nil)
	if m := decode(t, out); m["found"] != false {
		t.Errorf("nil find: %s", out.Content)
	}

	// Loading failed: a generic error for the model, the cause for the log.
	out = run(func(context.Context, tenant.ID) (KnowledgeSearcher, error) { return nil, errors.New("s3 unavailable") })
	if e := errorOf(t, out); !strings.Contains(e, "failed") || strings.Contains(e, "s3") || out.Err == nil {
		t.Errorf("find error: %q, %v", e, out.Err)
	}

	// Another business's chunk is never shown.
	out = run(func(context.Context, tenant.ID) (KnowledgeSearcher, error) {
		return searchFunc(func(context.Context, string, int) ([]knowledge.Result, error) {
			return []knowledge.Result{chunk("superior-fencing", "fencing secret"), chunk("sherpaprompt", "our own")}, nil
		}), nil
	})
	if strings.Contains(out.Content, "fencing secret") || !strings.Contains(out.Content, "our own") || out.Err == nil {
		t.Errorf("foreign chunk: %s (%v)", out.Content, out.Err)
	}

	// The embedding search failed and the lexical one answered: the answer
	// is given, the failure logged.
	out = run(func(context.Context, tenant.ID) (KnowledgeSearcher, error) {
		return searchFunc(func(context.Context, string, int) ([]knowledge.Result, error) {
			return []knowledge.Result{chunk("sherpaprompt", "thirty percent off")}, &knowledge.FallbackError{Err: errors.New("429")}
		}), nil
	})
	if m := decode(t, out); m["found"] != true || out.Err == nil {
		t.Errorf("fallback: %s (%v)", out.Content, out.Err)
	}

	// Any other search error.
	out = run(func(context.Context, tenant.ID) (KnowledgeSearcher, error) {
		return searchFunc(func(context.Context, string, int) ([]knowledge.Result, error) { return nil, errors.New("boom") }), nil
	})
	if e := errorOf(t, out); e == "" || out.Err == nil {
		t.Errorf("search error: %s", out.Content)
	}
}
