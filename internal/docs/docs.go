// Package docs renders the generated reference pages: docs/checks.md from
// the check registry and docs/configuration.md from the declared options.
package docs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/controls"
)

// ConfigOption is one configuration key as the reference lists it.
type ConfigOption struct {
	Key  string
	Flag string
	Env  string
	Help string
}

// Generate returns the generated pages by file name.
func Generate(options []ConfigOption) (map[string][]byte, error) {
	cat, err := controls.LoadCatalog()
	if err != nil {
		return nil, err
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"checks.md":        Checks(reg),
		"configuration.md": Configuration(options),
	}, nil
}

// Checks renders the check reference.
func Checks(reg *controls.Registry) []byte {
	var b bytes.Buffer
	b.WriteString("# Check reference\n\n")
	b.WriteString("Generated from the check registry by `make docs`; a test fails when this page is stale.\n\n")
	b.WriteString("Each check judges one property of the collected evidence and produces one finding per resource: `pass`, `fail`, `error` (the evidence could not be collected or read), `review` (a person must judge), `waived` or `not_applicable`. Parameters are set under `checks.params.CHECK_ID` in the configuration; a value beyond the loosest accepted one makes the `config.thresholds` check fail.\n\n")
	b.WriteString("| check | severity | criteria | title |\n| --- | --- | --- | --- |\n")
	for _, c := range reg.All() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", c.ID, anchor(c.ID), c.Severity, strings.Join(c.Criteria, ", "), cell(c.Title))
	}
	for _, c := range reg.All() {
		fmt.Fprintf(&b, "\n## %s\n\n", c.ID)
		fmt.Fprintf(&b, "**%s**. Severity %s; supports %s.\n\n", c.Title, c.Severity, strings.Join(c.Criteria, ", "))
		if c.Description != "" {
			b.WriteString(strings.TrimSpace(c.Description))
			b.WriteString("\n\n")
		}
		if len(c.Collectors) > 0 {
			fmt.Fprintf(&b, "Collectors: %s. Evidence kinds: %s.\n\n", code(c.Collectors), code(c.Kinds))
		}
		if len(c.Calls) > 0 {
			calls := append([]string(nil), c.Calls...)
			sort.Strings(calls)
			fmt.Fprintf(&b, "Calls: %s.\n\n", code(calls))
		}
		if len(c.Params) > 0 {
			b.WriteString("| parameter | default | loosest accepted | meaning |\n| --- | --- | --- | --- |\n")
			params := append([]controls.Param(nil), c.Params...)
			sort.Slice(params, func(i, j int) bool { return params[i].Name < params[j].Name })
			for _, p := range params {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, value(p.Default), value(p.Loosest), cell(p.Description))
			}
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// Configuration renders the configuration reference.
func Configuration(options []ConfigOption) []byte {
	var b bytes.Buffer
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from the declared options by `make docs`; a test fails when this page is stale.\n\n")
	b.WriteString("auditpack reads one YAML file (`--config FILE`, default `./auditpack.yaml` when it exists), then `AUDITPACK_*` environment variables, then flags; a later layer overrides an earlier one. Unknown keys are an error. Relative paths resolve against the configuration file's folder. Secrets are never in the file: it names the environment variable that holds them. List values given as a variable or flag are comma-separated. `[]` marks the keys of each element of a list.\n\n")
	b.WriteString("| key | flag | environment variable | meaning |\n| --- | --- | --- | --- |\n")
	for _, o := range options {
		flag, env := "", ""
		if o.Flag != "" {
			flag = "`--" + o.Flag + "`"
		}
		if o.Env != "" {
			env = "`" + o.Env + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.Key, flag, env, cell(o.Help))
	}
	return b.Bytes()
}

func anchor(id string) string { return strings.ReplaceAll(id, ".", "") }

func code(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

func value(v any) string {
	if v == nil {
		return "—"
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "`" + string(data) + "`"
}

func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", "\\|")
}
