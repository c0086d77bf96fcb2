package stackcheck

import (
	"slices"
	"strings"
)

// Operational rules, checked by CheckOperations (the repository's template
// must pass them; the small fixtures of Check need not):
const (
	// RuleLogRetention: every function has an AWS::Logs::LogGroup named
	// /aws/lambda/${Function} with RetentionInDays, and every log group has
	// a retention.
	RuleLogRetention = "log-retention"
	// RuleFunctionAlarms: every function has an Errors and a Throttles
	// alarm (AWS/Lambda, dimension FunctionName: !Ref the function).
	RuleFunctionAlarms = "function-alarms"
	// RuleAlarmActions: every alarm notifies someone (AlarmActions).
	RuleAlarmActions = "alarm-actions"
	// RuleReservedConcurrency: every function sets
	// ReservedConcurrentExecutions (possibly behind a condition), so no
	// function can starve the others.
	RuleReservedConcurrency = "reserved-concurrency"
	// RuleAccessLogs: every API Gateway v2 stage writes access logs.
	RuleAccessLogs = "api-access-logs"
)

// CheckOperations returns the broken operational rules of t.
func CheckOperations(t *Template) []Problem {
	var ps problems
	logGroups := map[string]bool{} // functions with a log group
	alarms := map[string][]string{}
	for _, id := range t.order {
		r := t.Resources[id]
		switch r.Type {
		case "AWS::Logs::LogGroup":
			if r.Properties["RetentionInDays"] == nil {
				ps.add(id, RuleLogRetention, "log group without RetentionInDays: its logs would be kept forever")
			}
			if m, ok := r.Properties["LogGroupName"].(map[string]any); ok {
				if s, ok := m["Fn::Sub"].(string); ok && strings.HasPrefix(s, "/aws/lambda/${") {
					logGroups[strings.TrimSuffix(strings.TrimPrefix(s, "/aws/lambda/${"), "}")] = true
				}
			}
		case "AWS::CloudWatch::Alarm":
			if len(list(r.Properties["AlarmActions"])) == 0 {
				ps.add(id, RuleAlarmActions, "alarm without AlarmActions: nobody would be told")
			}
			if getString(r.Properties, "Namespace") == "AWS/Lambda" {
				for _, d := range list(r.Properties["Dimensions"]) {
					if getString(d, "Name") == "FunctionName" {
						if ref, ok := get(d, "Value", "Ref").(string); ok {
							alarms[ref] = append(alarms[ref], getString(r.Properties, "MetricName"))
						}
					}
				}
			}
		case "AWS::ApiGatewayV2::Stage":
			if get(r.Properties, "AccessLogSettings", "DestinationArn") == nil {
				ps.add(id, RuleAccessLogs, "stage without AccessLogSettings.DestinationArn")
			}
		}
	}
	for _, r := range t.ofType(functionTypes...) {
		id := r.LogicalID
		if !logGroups[id] {
			ps.add(id, RuleLogRetention, "no AWS::Logs::LogGroup named !Sub /aws/lambda/${%s} with a retention", id)
		}
		for _, m := range []string{"Errors", "Throttles"} {
			if !slices.Contains(alarms[id], m) {
				ps.add(id, RuleFunctionAlarms, "no %s alarm (AWS/Lambda %s, FunctionName !Ref %s)", m, m, id)
			}
		}
		if r.Properties["ReservedConcurrentExecutions"] == nil {
			ps.add(id, RuleReservedConcurrency, "no ReservedConcurrentExecutions: a flood on another function could starve it, or it the others")
		}
	}
	return ps
}
