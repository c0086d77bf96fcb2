package email

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
)

// SESAPI is the part of *sesv2.Client the SES sender uses.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SESOptions configures [NewSES].
type SESOptions struct {
	// ConfigurationSet is the SES configuration set to send with (event
	// publishing, dedicated IPs); "" for none.
	ConfigurationSet string
}

type sesSender struct {
	client SESAPI
	opts   SESOptions
}

// NewSES returns a Sender that sends through Amazon SES v2 SendEmail with
// Simple content: SES builds the MIME message (UTF-8 bodies, text and HTML
// alternatives; the subject RFC 2047-encoded here when it is not ASCII, as
// the SES API requires), and Simple content carries custom headers
// (X-AHCA-Session) and attachments natively, so no raw MIME is built here.
// The From, To, Cc and Reply-To addresses are passed as given; a display
// name is RFC 2047-encoded when it is not ASCII.
//
// Errors: MessageRejected, MailFromDomainNotVerified, AccountSuspended,
// SendingPaused, NotFound (unknown configuration set) and BadRequest are
// permanent, as is any other 4xx but 429; throttling (TooManyRequests,
// LimitExceeded), 5xx and network errors are transient. The SDK's own
// retries run first.
func NewSES(client SESAPI, opts SESOptions) Sender {
	return &sesSender{client: client, opts: opts}
}

// sesMaxHeaders is SES's limit on Simple content headers.
const sesMaxHeaders = 15

func (s *sesSender) Send(ctx context.Context, m Message) (string, error) {
	m = sanitizeMessage(m)
	if err := validate(m); err != nil {
		return "", err
	}
	if s.client == nil {
		return "", permanent(errors.New("email: ses: no SES client configured"))
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(formatAddress(m.FromName, m.FromEmail)),
		Destination:      &types.Destination{ToAddresses: m.To, CcAddresses: m.Cc},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(sesSubject(m.Subject))},
			Body:    &types.Body{},
		}},
	}
	if m.ReplyTo != "" {
		in.ReplyToAddresses = []string{m.ReplyTo}
	}
	if s.opts.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.opts.ConfigurationSet)
	}
	simple := in.Content.Simple
	if m.HTML != "" {
		simple.Body.Html = &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")}
	}
	if m.Text != "" {
		simple.Body.Text = &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")}
	}
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) > sesMaxHeaders {
		return "", permanent(fmt.Errorf("email: ses: %d headers, SES allows %d", len(names), sesMaxHeaders))
	}
	for _, k := range names {
		if m.Headers[k] == "" {
			continue // SES rejects empty header values
		}
		simple.Headers = append(simple.Headers, types.MessageHeader{Name: aws.String(k), Value: aws.String(m.Headers[k])})
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		simple.Attachments = append(simple.Attachments, types.Attachment{
			FileName:           aws.String(headerValue(a.Filename)),
			RawContent:         a.Data,
			ContentType:        aws.String(headerValue(ct)),
			ContentDisposition: types.AttachmentContentDispositionAttachment,
		})
	}
	out, err := s.client.SendEmail(ctx, in)
	if err != nil {
		return "", classifySES(err)
	}
	if out == nil || out.MessageId == nil {
		return "", errors.New("email: ses: SendEmail returned no MessageId")
	}
	return *out.MessageId, nil
}

// sesSubject returns the subject as SES documents it for Simple content:
// 7-bit ASCII, non-ASCII text as RFC 2047 encoded-words ("—" is not ASCII,
// so most summaries are encoded). An ASCII subject is passed unchanged.
func sesSubject(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// formatAddress renders "Name <addr>" (RFC 5322, name quoted or RFC 2047
// encoded as needed), or the bare address without a name.
func formatAddress(name, addr string) string {
	if name == "" {
		return addr
	}
	s := (&mail.Address{Name: name, Address: addr}).String()
	// mail.Address quotes the local part when it contains characters it
	// considers special; keep the configured address exactly instead.
	if i := strings.LastIndex(s, " <"); i >= 0 {
		return s[:i] + " <" + addr + ">"
	}
	return s
}

// sesPermanent are the SES v2 error codes a retry cannot fix.
var sesPermanent = map[string]bool{
	"MessageRejected":                    true,
	"MailFromDomainNotVerifiedException": true,
	"AccountSuspendedException":          true,
	"SendingPausedException":             true,
	"NotFoundException":                  true,
	"BadRequestException":                true,
}

// sesTransient are 4xx codes that a later attempt can get through.
var sesTransient = map[string]bool{
	"TooManyRequestsException": true,
	"LimitExceededException":   true,
	"ThrottlingException":      true,
	"Throttling":               true,
	"RequestTimeout":           true,
	"RequestTimeoutException":  true,
}

func classifySES(err error) error {
	err = fmt.Errorf("email: ses: %w", err)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if sesPermanent[code] {
			return permanent(err)
		}
		if sesTransient[code] {
			return err
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if st := re.HTTPStatusCode(); st >= 400 && st < 500 && st != http.StatusTooManyRequests && st != http.StatusRequestTimeout {
			return permanent(err)
		}
	}
	return err
}
