package localaws

import (
	"strings"
	"testing"
)

func TestFunctionName(t *testing.T) {
	for in, want := range map[string]string{
		"WsConnectFunction": "ws-connect", "TwilioVoiceFunction": "twilio-voice", "EmailSummaryFunction": "email-summary",
		"SMSSenderFunction": "sms-sender", "Step2Function": "step2",
	} {
		if got := FunctionName(in); got != want {
			t.Errorf("FunctionName(%s) = %s, want %s", in, got, want)
		}
	}
}

const testTemplate = `
Parameters:
  Stage: {Type: String}
  Level: {Type: String, Default: INFO}
  Empty: {Type: String, Default: ""}
Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Environment:
      Variables:
        STAGE: !Ref Stage
        TABLE: !Ref Table
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Api: {Type: AWS::ApiGatewayV2::Api}
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 28
      Environment:
        Variables:
          LEVEL: !Ref Level
          EMPTY: !Ref Empty
          LITERAL: plain
          SUB: !Sub ssm:/app/${Stage}/key-${AWS::Region}
          SUBVARS: !Sub ["${A}-${Table.Arn}-${!Literal}", {A: !Ref Level}]
          URL: !Sub wss://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}
          JOINED: !Join [",", [a, !Ref Stage]]
          LONG: {"Fn::Sub": "x-${Stage}"}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          BAD: !Ref Missing
          WORSE: !If [C, a, b]
  Map:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref HelloWorldFunction
      EventSourceArn: !GetAtt Table.StreamArn
      BatchSize: 10
      FunctionResponseTypes: [ReportBatchItemFailures]
      MaximumRetryAttempts: 3
      FilterCriteria:
        Filters:
          - Pattern: '{"eventName":["MODIFY"]}'
`

func TestTemplateEnvironment(t *testing.T) {
	tmpl, err := ParseTemplate([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	l := Locals{
		Parameters: map[string]string{"Stage": "dev"},
		Pseudo:     map[string]string{"AWS::Region": "us-east-1"},
		Refs:       map[string]string{"Table": "t"},
		Attrs:      map[string]string{"Table.Arn": "arn:t"},
		APIs:       map[string]string{"Api": "ws://127.0.0.1:1/ws"},
	}
	f, ok := tmpl.Function("hello-world")
	if !ok || f.Timeout != 28 || f.MemoryMB != 256 {
		t.Fatalf("function = %+v", f)
	}
	env, err := tmpl.Environment(f, l)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"STAGE": "dev", "TABLE": "t", "LEVEL": "INFO", "EMPTY": "", "LITERAL": "plain",
		"SUB": "ssm:/app/dev/key-us-east-1", "SUBVARS": "INFO-arn:t-${Literal}", "URL": "ws://127.0.0.1:1/ws",
		"JOINED": "a,dev", "LONG": "x-dev"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if len(env) != len(want) {
		t.Errorf("env = %v", env)
	}
	// Whatever the local mapping cannot resolve is an error naming it.
	_, err = tmpl.Environment(tmpl.Functions["Other"], l)
	if err == nil || !strings.Contains(err.Error(), "BAD: !Ref Missing has no local value") || !strings.Contains(err.Error(), "WORSE: !If") {
		t.Errorf("unresolvable: %v", err)
	}
	delete(l.Parameters, "Stage")
	if _, err := tmpl.Environment(f, l); err == nil || !strings.Contains(err.Error(), "parameter Stage has no default") {
		t.Errorf("a parameter without a default: %v", err)
	}
	if m := tmpl.Mappings[0]; m.Function != "HelloWorldFunction" || m.Source != "Table.StreamArn" || m.BatchSize != 10 ||
		!m.ReportBatchItemFailures || m.MaxRetryAttempts != 3 || len(m.Filters) != 1 {
		t.Errorf("mapping = %+v", m)
	}
}
