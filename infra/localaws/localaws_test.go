package localaws

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

func sdkConfig(url string) aws.Config {
	return aws.Config{Region: Region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
}

// The real SDK clients against the stand-ins on one endpoint.
func TestServer(t *testing.T) {
	srv := NewServer(nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	cfg := sdkConfig(hs.URL)
	ctx := context.Background()

	srv.Values.SetParameter("/ahca/dev/twilio-auth-token", "tok")
	srv.Values.SetSecret("ahca/dev/key", "sek")
	srv.Values.Fallback = func(kind, name string) (string, bool) {
		return "fb-" + kind, name == "/ahca/dev/fallback" || name == "ahca/dev/fallback"
	}

	p := ssm.NewFromConfig(cfg)
	out, err := p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/ahca/dev/twilio-auth-token"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != "tok" || out.Parameter.Type != ssmtypes.ParameterTypeSecureString {
		t.Fatalf("GetParameter: %+v, %v", out, err)
	}
	if out, err := p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/ahca/dev/fallback")}); err != nil || aws.ToString(out.Parameter.Value) != "fb-ssm" {
		t.Errorf("fallback: %+v, %v", out, err)
	}
	var notFound *ssmtypes.ParameterNotFound
	if _, err := p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")}); !errors.As(err, &notFound) {
		t.Errorf("missing parameter: %v, want ParameterNotFound", err)
	}
	many, err := p.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/ahca/dev/twilio-auth-token", "/nope"}})
	if err != nil || len(many.Parameters) != 1 || len(many.InvalidParameters) != 1 || many.InvalidParameters[0] != "/nope" {
		t.Errorf("GetParameters: %+v, %v", many, err)
	}

	sm := secretsmanager.NewFromConfig(cfg)
	sec, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ahca/dev/key")})
	if err != nil || aws.ToString(sec.SecretString) != "sek" {
		t.Errorf("GetSecretValue: %+v, %v", sec, err)
	}
	sec, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:1:secret:ahca/dev/fallback")})
	if err != nil || aws.ToString(sec.SecretString) != "fb-secretsmanager" {
		t.Errorf("GetSecretValue by ARN: %+v, %v", sec, err)
	}
	var smMissing *smtypes.ResourceNotFoundException
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}); !errors.As(err, &smMissing) {
		t.Errorf("missing secret: %v", err)
	}
	// A call nothing stands in for is refused by name.
	_, err = ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Errorf("PutParameter: %v, want UnknownOperationException", err)
	}
	if c := srv.Calls(); c["AmazonSSM.GetParameter /ahca/dev/twilio-auth-token"] != 2 || c["secretsmanager.GetSecretValue ahca/dev/key"] != 1 {
		t.Errorf("calls = %v", c)
	}

	// S3: a directory mirrored into a bucket, read with the SDK (path
	// style, as an IP endpoint gets).
	dir := t.TempDir()
	write := func(rel, data string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("businesses.json", `{"a":1}`)
	write("businesses/a/config.json", `{}`)
	write("schema/x.json", `{}`)
	sync := &DirSync{Server: srv, Bucket: "cfg", Dir: dir, Skip: func(rel string, _ os.DirEntry) bool { return rel == "schema" }}
	if put, del, err := sync.Sync(); err != nil || put != 2 || del != 0 {
		t.Fatalf("sync: %d put, %d deleted, %v", put, del, err)
	}
	s3c := s3.NewFromConfig(cfg) // as the functions build it
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("cfg")})
	if err != nil || len(list.Contents) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cfg"), Key: aws.String("businesses.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	if string(body) != `{"a":1}` {
		t.Errorf("object = %s", body)
	}
	write("businesses.json", `{"a":2}`)
	os.Remove(filepath.Join(dir, "businesses/a/config.json"))
	if put, del, err := sync.Sync(); err != nil || put != 1 || del != 1 {
		t.Errorf("resync: %d put, %d deleted, %v", put, del, err)
	}
	if put, del, err := sync.Sync(); err != nil || put != 0 || del != 0 {
		t.Errorf("unchanged resync: %d put, %d deleted, %v", put, del, err)
	}
}
