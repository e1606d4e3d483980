package controls

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ResultsSchema is the JSON Schema of results.json.
//
//go:embed results.schema.json
var ResultsSchema []byte

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// ValidateResults checks results.json content against ResultsSchema.
func ValidateResults(data []byte) error {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ResultsSchema))
		if err != nil {
			schemaErr = fmt.Errorf("parse results schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("results.schema.json", doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("results.schema.json")
	})
	if schemaErr != nil {
		return schemaErr
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("results.json is not valid JSON: %w", err)
	}
	if err := schema.Validate(doc); err != nil {
		return fmt.Errorf("results.json does not match its schema: %w", err)
	}
	return nil
}
