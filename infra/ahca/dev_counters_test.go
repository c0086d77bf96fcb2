package main

import (
	"testing"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/summary"
)

// make dev wires one set of usage counters into the engine and the summary
// pipeline, as the Lambdas get theirs: the hourly caller-copy cap (and the
// daily budgets) hold locally too, in the table with --store dynamodb.
func TestDevStackSharesUsageCounters(t *testing.T) {
	onBothStores(t, "dev-counters", func(t *testing.T, o devOptions) {
		stack := startTestStack(t, o)
		if stack.Counters == nil {
			t.Fatal("no usage counters")
		}
		if stack.pipeline.Counters != stack.Counters {
			t.Errorf("summary pipeline counters = %v, want the stack's %v", stack.pipeline.Counters, stack.Counters)
		}
		if s, ok := stack.pipeline.Summarizer.(*summary.Summarizer); !ok || s.Counters != stack.Counters {
			t.Errorf("summarizer = %#v, want the stack's counters (summary tokens count against modelTokensPerDay)", stack.pipeline.Summarizer)
		}
		if o.Store == "dynamodb" {
			d, ok := stack.Counters.(*session.DynamoCounters)
			if !ok || d.Table != o.Table {
				t.Errorf("counters = %#v, want DynamoCounters on table %s", stack.Counters, o.Table)
			}
		}
	})
}
