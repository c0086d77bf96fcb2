package business

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client the configs tree needs.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// S3Source is a configs tree under a prefix of an S3 bucket.
type S3Source struct {
	Client S3API
	Bucket string
	Prefix string // "" or a folder such as "configs/"; a trailing slash is added
}

func (s S3Source) prefix() string {
	if s.Prefix == "" || strings.HasSuffix(s.Prefix, "/") {
		return s.Prefix
	}
	return s.Prefix + "/"
}

// Origin returns the s3:// URL of the tree.
func (s S3Source) Origin() string { return "s3://" + s.Bucket + "/" + s.prefix() }

// List lists the tree with one ListObjectsV2 call per 1000 files; the
// listing carries each object's ETag, so unchanged files need no GET.
func (s S3Source) List(ctx context.Context) ([]Object, error) { return s.ListPrefix(ctx, "") }

// ListPrefix lists the files of the tree whose key starts with prefix (e.g.
// one business's directory, "businesses/acme/").
func (s S3Source) ListPrefix(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &s.Bucket, Prefix: aws.String(s.prefix() + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.Origin(), err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix())
			if key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			out = append(out, Object{Key: key, ETag: aws.ToString(o.ETag)})
		}
	}
	return out, nil
}

// Get fetches one file with a conditional GET.
func (s S3Source) Get(ctx context.Context, key, ifNoneMatch string) ([]byte, string, error) {
	in := &s3.GetObjectInput{Bucket: &s.Bucket, Key: aws.String(s.prefix() + key)}
	if ifNoneMatch != "" {
		in.IfNoneMatch = aws.String(ifNoneMatch)
	}
	out, err := s.Client.GetObject(ctx, in)
	if err != nil {
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotModified {
			return nil, ifNoneMatch, ErrNotModified
		}
		return nil, "", fmt.Errorf("get %s%s: %w", s.Origin(), key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s%s: %w", s.Origin(), key, err)
	}
	return b, aws.ToString(out.ETag), nil
}

func (s S3Source) put(ctx context.Context, key string, body []byte) error {
	ct := "application/octet-stream"
	if strings.HasSuffix(key, ".json") {
		ct = "application/json"
	}
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.Bucket, Key: aws.String(s.prefix() + key),
		Body: bytes.NewReader(body), ContentType: aws.String(ct),
	})
	if err != nil {
		return fmt.Errorf("put %s%s: %w", s.Origin(), key, err)
	}
	return nil
}

func (s S3Source) delete(ctx context.Context, key string) error {
	if _, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.Bucket, Key: aws.String(s.prefix() + key)}); err != nil {
		return fmt.Errorf("delete %s%s: %w", s.Origin(), key, err)
	}
	return nil
}
