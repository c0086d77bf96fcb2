package openaiclient

import (
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ahca/ahca/pkg/llm"
)

// params converts a Request to the SDK's request body. Errors (an unknown
// role, a tool schema that is not a JSON object) wrap ErrUnavailable: the
// request cannot be sent.
func (c *Client) params(req llm.Request) (openai.ChatCompletionNewParams, error) {
	p := openai.ChatCompletionNewParams{
		Model:         c.opts.DefaultModel,
		Messages:      make([]openai.ChatCompletionMessageParamUnion, 0, len(req.Messages)),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	if req.Model != "" {
		p.Model = req.Model
	}
	maxOut := c.opts.DefaultMaxOutputTokens
	if req.MaxOutputTokens > 0 {
		maxOut = req.MaxOutputTokens
	}
	p.MaxCompletionTokens = openai.Int(int64(maxOut))
	temp := *c.opts.DefaultTemperature
	if req.Temperature != nil {
		temp = *req.Temperature
	}
	if temp >= 0 {
		p.Temperature = openai.Float(temp)
	}
	for i, m := range req.Messages {
		msg, err := message(m)
		if err != nil {
			return p, fmt.Errorf("%w: message %d: %w", llm.ErrUnavailable, i, err)
		}
		p.Messages = append(p.Messages, msg)
	}
	if len(req.Tools) > 0 {
		p.Tools = make([]openai.ChatCompletionToolUnionParam, 0, len(req.Tools))
		for _, t := range req.Tools {
			def := shared.FunctionDefinitionParam{Name: t.Name}
			if t.Description != "" {
				def.Description = openai.String(t.Description)
			}
			if len(t.Parameters) > 0 {
				var schema shared.FunctionParameters
				if err := json.Unmarshal(t.Parameters, &schema); err != nil || schema == nil {
					return p, fmt.Errorf("%w: tool %q: parameters are not a JSON object", llm.ErrUnavailable, t.Name)
				}
				def.Parameters = schema
			}
			p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(def))
		}
	}
	return p, nil
}

func message(m llm.Message) (openai.ChatCompletionMessageParamUnion, error) {
	switch m.Role {
	case llm.RoleSystem:
		return openai.SystemMessage(m.Content), nil
	case llm.RoleUser:
		return openai.UserMessage(m.Content), nil
	case llm.RoleAssistant:
		var a openai.ChatCompletionAssistantMessageParam
		// Content is required unless there are tool calls.
		if m.Content != "" || len(m.ToolCalls) == 0 {
			a.Content.OfString = openai.String(m.Content)
		}
		if len(m.ToolCalls) > 0 {
			a.ToolCalls = make([]openai.ChatCompletionMessageToolCallUnionParam, 0, len(m.ToolCalls))
			for _, tc := range m.ToolCalls {
				a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
						ID: tc.ID,
						Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
							Name:      tc.Name,
							Arguments: tc.Arguments,
						},
					},
				})
			}
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}, nil
	case llm.RoleTool:
		if m.ToolCallID == "" {
			return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("tool message without ToolCallID")
		}
		return openai.ToolMessage(m.Content, m.ToolCallID), nil
	default:
		return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("unknown role %q", m.Role)
	}
}
