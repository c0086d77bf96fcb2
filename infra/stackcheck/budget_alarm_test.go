package stackcheck

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The daily-budget metric (pkg/conversation's embedded metric: namespace
// AHCA, metric BudgetSpent, dimension businessId) has an alarm that
// notifies like the others, and docs/operations.md's alarm table says what
// to do when it fires.
func TestBudgetSpentAlarm(t *testing.T) {
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := tpl.Resources["BudgetSpentAlarm"]
	if !ok || r.Type != "AWS::CloudWatch::Alarm" {
		t.Fatalf("no BudgetSpentAlarm alarm (got %q)", r.Type)
	}
	if got := getString(r.Properties, "AlarmName", "Fn::Sub"); got != "ahca-${Stage}-budget-spent" {
		t.Errorf("AlarmName = %v", get(r.Properties, "AlarmName"))
	}
	var expr string
	for _, m := range list(r.Properties["Metrics"]) {
		if get(m, "ReturnData") == true {
			expr = getString(m, "Expression")
		}
	}
	if expr != `SELECT SUM(BudgetSpent) FROM SCHEMA("AHCA", businessId)` {
		t.Errorf("alarm expression = %q, want every business's AHCA/BudgetSpent", expr)
	}
	// Wired like every other alarm: the stack's topic or AlarmTopicArn.
	want := get(tpl.Resources["DeadLetterAlarm"].Properties, "AlarmActions")
	if got := get(r.Properties, "AlarmActions"); got == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AlarmActions = %v, want %v", got, want)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	alarms := string(doc)
	if i := strings.Index(alarms, "## Alarms"); i >= 0 {
		alarms = alarms[i:]
		if j := strings.Index(alarms[1:], "\n## "); j >= 0 {
			alarms = alarms[:j+1]
		}
	}
	if !strings.Contains(alarms, "| `budget-spent` |") {
		t.Error("docs/operations.md's alarm table does not list budget-spent")
	}
}
