package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/auditpack/auditpack/internal/config"
)

// defaultConfigFile is read when --config is not given and it exists.
const defaultConfigFile = "auditpack.yaml"

// keyDelimiter separates nested keys inside viper. It is not "." because
// check ids, used as keys under checks.params, contain dots.
const keyDelimiter = "::"

// loadedConfig is the effective configuration and where it came from.
type loadedConfig struct {
	Config *config.Config
	// File is the configuration file read, or "" when none was.
	File string
	// Dir is the folder relative paths in the file are resolved against.
	Dir string
}

// loadConfig layers the configuration file, AUDITPACK_* environment
// variables and flags, then decodes the result strictly into the typed
// configuration. Unknown keys and wrong types are usage errors.
func loadConfig(path string, flags *pflag.FlagSet, getenv func(string) string) (*loadedConfig, error) {
	v := viper.NewWithOptions(viper.KeyDelimiter(keyDelimiter))
	v.SetConfigType("yaml")
	lc := &loadedConfig{}
	switch {
	case path != "":
		if _, err := os.Stat(path); err != nil {
			return nil, usageErrorf("--config: configuration file %q not found; check the path or leave --config out", path)
		}
		lc.File = path
	default:
		if _, err := os.Stat(defaultConfigFile); err == nil {
			lc.File = defaultConfigFile
		}
	}
	raw := map[string]any{}
	if lc.File != "" {
		f, err := os.Open(lc.File)
		if err != nil {
			return nil, usageErrorf("--config: cannot read %q: %v", lc.File, err)
		}
		err = v.ReadConfig(f)
		f.Close()
		if err != nil {
			return nil, usageErrorf("configuration file %s is not valid YAML: %v", lc.File, yamlMessage(err))
		}
		raw = v.AllSettings()
		abs, err := filepath.Abs(lc.File)
		if err != nil {
			return nil, err
		}
		lc.Dir = filepath.Dir(abs)
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		lc.Dir = wd
	}
	if err := checkKeys(raw, reflect.TypeOf(config.Config{}), ""); err != nil {
		return nil, err
	}
	if err := checkAccountIDs(raw); err != nil {
		return nil, err
	}

	for _, o := range options {
		key := strings.ReplaceAll(o.Key, ".", keyDelimiter)
		if name := o.EnvName(); name != "" {
			if val := getenv(name); val != "" {
				v.Set(key, val)
			}
		}
		if o.Flag != "" && flags != nil {
			if f := flags.Lookup(o.Flag); f != nil && f.Changed {
				v.Set(key, flagValue(f))
			}
		}
	}
	if flags != nil {
		start, end := flags.Lookup("start"), flags.Lookup("end")
		if start != nil && end != nil && (start.Changed || end.Changed) {
			if !start.Changed || !end.Changed {
				return nil, usageErrorf("--start and --end go together: give both dates (YYYY-MM-DD)")
			}
			if p := flags.Lookup("period"); p != nil && p.Changed {
				return nil, usageErrorf("--period cannot be combined with --start and --end; give one or the other")
			}
			v.Set("period", map[string]any{"start": start.Value.String(), "end": end.Value.String()})
		}
	}

	cfg := config.Defaults()
	decoderHook := mapstructure.ComposeDecodeHookFunc(
		scalarFromTextHook,
		dateHook,
		periodHook,
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
	)
	err := v.Unmarshal(cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = decoderHook
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = false
	})
	if err != nil {
		return nil, usageErrorf("invalid configuration: %s", decodeMessage(err))
	}
	// A folder given on the command line or in the environment is relative
	// to the working folder; one in the file, to the file's folder.
	if cfg.OutputDir != "" && !filepath.IsAbs(cfg.OutputDir) && outputDirOutsideFile(flags, getenv) {
		abs, err := filepath.Abs(cfg.OutputDir)
		if err != nil {
			return nil, err
		}
		cfg.OutputDir = abs
	}
	lc.Config = cfg
	return lc, nil
}

// flagValue returns a flag's value as viper should store it.
func flagValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return f.Value.String()
}

// periodHook decodes "2026-Q4" into a PeriodSpec; a map decodes as usual.
func periodHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(config.PeriodSpec{}) {
		return data, nil
	}
	if s, ok := data.(string); ok {
		return config.PeriodSpec{Name: s}, nil
	}
	return data, nil
}

// scalarFromTextHook reads a number or boolean given as text, as flags and
// environment variables give every value. Text that does not parse is left
// for the decoder to reject with the key's name.
func scalarFromTextHook(from, to reflect.Type, data any) (any, error) {
	text, ok := data.(string)
	if !ok {
		return data, nil
	}
	text = strings.TrimSpace(text)
	switch to.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		if to == reflect.TypeOf(time.Duration(0)) {
			return data, nil
		}
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
	case reflect.Float64:
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f, nil
		}
	case reflect.Bool:
		if b, err := strconv.ParseBool(text); err == nil {
			return b, nil
		}
	}
	return data, nil
}

// dateHook turns a YAML date such as `start: 2026-10-01`, which the YAML
// parser reads as a timestamp, back into its YYYY-MM-DD text.
func dateHook(from, to reflect.Type, data any) (any, error) {
	t, ok := data.(time.Time)
	if !ok || to.Kind() != reflect.String {
		return data, nil
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02"), nil
	}
	return t.UTC().Format(time.RFC3339), nil
}

// checkKeys reports the first key of raw, in sorted order, that the typed
// configuration does not have, with the allowed keys at that level.
func checkKeys(raw map[string]any, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	var allowed []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
		allowed = append(allowed, name)
	}
	if t == reflect.TypeOf(config.PeriodSpec{}) {
		allowed = []string{"start", "end"}
	}
	sort.Strings(allowed)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		full := k
		if prefix != "" {
			full = prefix + "." + k
		}
		ft, ok := fields[k]
		if !ok {
			return usageErrorf("invalid configuration: unknown key %q; allowed keys here: %s", full, strings.Join(allowed, ", "))
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch val := raw[k].(type) {
		case map[string]any:
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
				if err := checkKeys(val, ft, full); err != nil {
					return err
				}
			}
		case []any:
			if ft.Kind() == reflect.Slice && structElem(ft) != nil {
				for i, el := range val {
					if m, ok := el.(map[string]any); ok {
						if err := checkKeys(m, structElem(ft), fmt.Sprintf("%s[%d]", full, i)); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// checkAccountIDs rejects an AWS account id that YAML read as a number:
// unquoted, a 12-digit id loses leading zeros and may turn into a float.
func checkAccountIDs(raw map[string]any) error {
	awsRaw, ok := raw["aws"].(map[string]any)
	if !ok {
		return nil
	}
	accounts, ok := awsRaw["accounts"].([]any)
	if !ok {
		return nil
	}
	for i, a := range accounts {
		m, ok := a.(map[string]any)
		if !ok {
			return usageErrorf("invalid configuration: aws.accounts[%d] must be a mapping with id, role_arn and external_id_env", i)
		}
		switch m["id"].(type) {
		case string:
		case nil:
			return usageErrorf("invalid configuration: aws.accounts[%d].id is missing; give the 12-digit account id as a quoted string", i)
		default:
			return usageErrorf("invalid configuration: aws.accounts[%d].id is not a quoted string: YAML reads an unquoted account id as a number and can change it (leading zeros, octal); quote the 12-digit id, for example id: \"111122223333\"", i)
		}
	}
	return nil
}

// decodeMessage shortens mapstructure's error text to its useful lines.
func decodeMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "decoding failed due to the following error(s):\n\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

func yamlMessage(err error) string {
	var pe viper.ConfigParseError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	return err.Error()
}

func outputDirOutsideFile(flags *pflag.FlagSet, getenv func(string) string) bool {
	if flags != nil {
		if f := flags.Lookup("output-dir"); f != nil && f.Changed {
			return true
		}
	}
	return getenv("AUDITPACK_OUTPUT_DIR") != ""
}
