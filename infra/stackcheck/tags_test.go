package stackcheck

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// decodeValue converts the YAML value src (one line, flow style allowed).
func decodeValue(t *testing.T, src string) any {
	t.Helper()
	v, err := tryDecodeValue(src)
	if err != nil {
		t.Fatalf("decode %s: %v", src, err)
	}
	return v
}

func tryDecodeValue(src string) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+src), &n); err != nil {
		return nil, err
	}
	v, err := convert(&n)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any)["v"], nil
}

type m = map[string]any
type l = []any

func TestShortFormTags(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{`!Ref Stage`, m{"Ref": "Stage"}},
		{`!Condition IsProd`, m{"Condition": "IsProd"}},
		{`!GetAtt AppTable.Arn`, m{"Fn::GetAtt": l{"AppTable", "Arn"}}},
		{`!GetAtt Db.Endpoint.Address`, m{"Fn::GetAtt": l{"Db", "Endpoint.Address"}}},
		{`!GetAtt [AppTable, StreamArn]`, m{"Fn::GetAtt": l{"AppTable", "StreamArn"}}},
		{`!GetAtt [Fn, !Ref AttrParam]`, m{"Fn::GetAtt": l{"Fn", m{"Ref": "AttrParam"}}}},
		{`!Sub "ahca-${Stage}"`, m{"Fn::Sub": "ahca-${Stage}"}},
		{`!Sub ["x-${A}", {A: !Ref Stage}]`, m{"Fn::Sub": l{"x-${A}", m{"A": m{"Ref": "Stage"}}}}},
		{`!Join ["/", [integrations, !Ref I]]`, m{"Fn::Join": l{"/", l{"integrations", m{"Ref": "I"}}}}},
		{`!If [IsProd, true, false]`, m{"Fn::If": l{"IsProd", true, false}}},
		{`!Select [0, !GetAZs ""]`, m{"Fn::Select": l{0, m{"Fn::GetAZs": ""}}}},
		{`!Split [",", !Ref List]`, m{"Fn::Split": l{",", m{"Ref": "List"}}}},
		{`!Equals [!Ref Stage, prod]`, m{"Fn::Equals": l{m{"Ref": "Stage"}, "prod"}}},
		{`!Not [!Equals [a, b]]`, m{"Fn::Not": l{m{"Fn::Equals": l{"a", "b"}}}}},
		{`!And [!Condition A, !Condition B]`, m{"Fn::And": l{m{"Condition": "A"}, m{"Condition": "B"}}}},
		{`!Or [!Condition A, !Not [!Condition B]]`, m{"Fn::Or": l{m{"Condition": "A"}, m{"Fn::Not": l{m{"Condition": "B"}}}}}},
		{`!FindInMap [Config, !Ref Stage, Memory]`, m{"Fn::FindInMap": l{"Config", m{"Ref": "Stage"}, "Memory"}}},
		{`!ImportValue shared-vpc-id`, m{"Fn::ImportValue": "shared-vpc-id"}},
		{`!ImportValue {Fn::Sub: "${Net}-vpc"}`, m{"Fn::ImportValue": m{"Fn::Sub": "${Net}-vpc"}}},
		{`!Base64 hello`, m{"Fn::Base64": "hello"}},
		{`!Cidr [10.0.0.0/16, 4, 8]`, m{"Fn::Cidr": l{"10.0.0.0/16", 4, 8}}},
		{`!GetAZs ""`, m{"Fn::GetAZs": ""}},
		{`!GetAZs us-west-2`, m{"Fn::GetAZs": "us-west-2"}},
		{`!Transform {Name: AWS::Include, Parameters: {Location: "s3://b/k"}}`,
			m{"Fn::Transform": m{"Name": "AWS::Include", "Parameters": m{"Location": "s3://b/k"}}}},
		{`!Ref 123`, m{"Ref": "123"}}, // a tagged scalar's operand is text

		// Long forms are kept as they are, except the string Fn::GetAtt.
		{`{Ref: Stage}`, m{"Ref": "Stage"}},
		{`{Fn::GetAtt: AppTable.Arn}`, m{"Fn::GetAtt": l{"AppTable", "Arn"}}},
		{`{Fn::GetAtt: [AppTable, Arn]}`, m{"Fn::GetAtt": l{"AppTable", "Arn"}}},
		{`{Fn::Sub: "x", Other: 1}`, m{"Fn::Sub": "x", "Other": 1}},

		// Plain YAML values.
		{`"2012-10-17"`, "2012-10-17"},
		{`2012-10-17`, "2012-10-17"}, // timestamp-looking text stays text
		{`true`, true},
		{`"true"`, "true"},
		{`10`, 10},
		{`1.5`, 1.5},
		{`~`, nil},
		{`[a, 1, {k: v}]`, l{"a", 1, m{"k": "v"}}},
	}
	for _, tc := range tests {
		got := decodeValue(t, tc.src)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got  %#v\n want %#v", tc.src, got, tc.want)
		}
	}
}

func TestShortFormTagsBlockStyle(t *testing.T) {
	src := `
Resources:
  R:
    Type: X
    Properties:
      A: !Join
        - ""
        - - "arn:"
          - !Ref AWS::Partition
      B: !If
        - IsProd
        - !GetAtt X.Arn
        - !Ref AWS::NoValue
      C: !Sub
        - "${Api}/*"
        - Api: !Ref WebSocketApi
`
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := m{
		"A": m{"Fn::Join": l{"", l{"arn:", m{"Ref": "AWS::Partition"}}}},
		"B": m{"Fn::If": l{"IsProd", m{"Fn::GetAtt": l{"X", "Arn"}}, m{"Ref": "AWS::NoValue"}}},
		"C": m{"Fn::Sub": l{"${Api}/*", m{"Api": m{"Ref": "WebSocketApi"}}}},
	}
	if got := tpl.Resources["R"].Properties; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	src := `
Resources:
  A:
    Type: X
    Properties: &props
      Name: !Ref Stage
      Size: 1
  B:
    Type: X
    Properties:
      <<: *props
      Size: 2
`
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := m{"Name": m{"Ref": "Stage"}, "Size": 2}
	if got := tpl.Resources["B"].Properties; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestTagErrors(t *testing.T) {
	for _, src := range []string{`!Bogus x`, `!GetAtt NoAttribute`, `!GetAtt .Arn`, `!GetAtt Fn.`, `{Fn::GetAtt: NoDot}`} {
		if v, err := tryDecodeValue(src); err == nil {
			t.Errorf("%s: got %#v, want an error", src, v)
		}
	}
}
