package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configFlag names the config file; it is the one serve flag that has no
// key in the file.
const configFlag = "config"

// maxConfigFile is the largest config file read.
const maxConfigFile = 1 << 20

// envName is the environment variable of flag name: CHATSERVER_DATA_DIR
// for data-dir. It is the variable of serve's flags and of every
// command's --data-dir; other commands' flags have one of flagEnv's.
func envName(name string) string {
	return "CHATSERVER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// envAnnotation holds the environment variable withEnv gave a flag.
const envAnnotation = "chatserver_env"

// sharedEnvFlag is the one flag every command reads from serve's
// variable: the data folder they all work on.
const sharedEnvFlag = "data-dir"

// commandEnvName is the environment variable of flag name of cmd: serve's
// flags and --data-dir share envName's (one environment for the server and
// the commands run beside it); another command's flag carries the command's
// path, CHATSERVER_HEALTH_ADDR for health --addr, so that no variable set
// for one command changes another.
func commandEnvName(cmd *cobra.Command, name string) string {
	if cmd.Name() == "serve" || name == sharedEnvFlag {
		return envName(name)
	}
	path := strings.Fields(cmd.CommandPath())[1:] // without the root's name
	return envName(strings.Join(append(path, name), "_"))
}

// flagEnv is the environment variable of f: the one withEnv gave it, else
// envName's (a serve flag set made outside the command tree).
func flagEnv(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return envName(f.Name)
}

// fileKey is the config file's key of flag name: data_dir for data-dir.
func fileKey(name string) string { return strings.ReplaceAll(name, "-", "_") }

// flagsFromEnv sets each flag not given on the command line from
// envName(flag), if that is set.
func flagsFromEnv(fs *pflag.FlagSet) error {
	return settings{fs: fs, lookupEnv: os.LookupEnv}.fromEnv()
}

// settings resolves the flags of one flag set: a flag given on the
// command line wins over the environment, which wins over the config
// file, which wins over the flag's default. One rule for every flag.
type settings struct {
	fs        *pflag.FlagSet
	lookupEnv func(string) (string, bool)
}

// fromEnv sets each flag of s.fs not set yet from its environment variable.
func (s settings) fromEnv() error {
	var err error
	s.fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		env := flagEnv(f)
		if v, ok := s.lookupEnv(env); ok {
			if e := s.fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	return err
}

// resolve sets the flags not given on the command line from the
// environment, then from the config file the config flag names, if any;
// it returns that file's path.
func (s settings) resolve() (path string, err error) {
	if err := s.fromEnv(); err != nil {
		return "", err
	}
	if f := s.fs.Lookup(configFlag); f != nil {
		path = f.Value.String()
	}
	if path == "" {
		return "", nil
	}
	b, err := readConfigFile(path)
	if err != nil {
		return path, err
	}
	return path, loadConfig(s.fs, path, b)
}

// readConfigFile returns the contents of the config file at path.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(b) > maxConfigFile {
		return nil, fmt.Errorf("config file %s: longer than %d bytes", path, maxConfigFile)
	}
	return b, nil
}

// loadConfig sets every flag of fs not set yet from the TOML document b,
// read from the file path. Every key is checked, also of flags set
// already: an unknown key or a value of the wrong type is an error that
// names the key and the file.
func loadConfig(fs *pflag.FlagSet, path string, b []byte) error {
	var doc map[string]any
	if err := toml.Unmarshal(b, &doc); err != nil {
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, col := de.Position()
			return fmt.Errorf("config file %s: line %d column %d: %v", path, row, col, de.Error())
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	byKey := map[string]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != configFlag {
			byKey[fileKey(f.Name)] = f
		}
	})
	for _, k := range keys {
		f := byKey[k]
		if f == nil {
			return fmt.Errorf("config file %s: unknown key %q", path, k)
		}
		if err := setFromFile(fs, f, doc[k]); err != nil {
			return fmt.Errorf("config file %s: key %s: %w", path, k, err)
		}
	}
	return nil
}

// setFromFile checks that v, a TOML value, fits flag f, and sets f to it
// unless f is set already.
func setFromFile(fs *pflag.FlagSet, f *pflag.Flag, v any) error {
	var text string
	var list []string
	switch t := f.Value.Type(); t {
	case "string", "duration":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, not %s", tomlType(v))
		}
		text = s
	case "int", "float64":
		switch n := v.(type) {
		case int64:
			text = strconv.FormatInt(n, 10)
		case float64:
			if t == "int" {
				return fmt.Errorf("want an integer, not %v", n)
			}
			text = strconv.FormatFloat(n, 'g', -1, 64)
		default:
			return fmt.Errorf("want a number, not %s", tomlType(v))
		}
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, not %s", tomlType(v))
		}
		text = strconv.FormatBool(b)
	case "stringSlice":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list of strings, not %s", tomlType(v))
		}
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("want a list of strings, not one with %s", tomlType(e))
			}
			list = append(list, s)
		}
	default: // a flag type of its own: its Set parses the value's text
		switch v.(type) {
		case []any, map[string]any:
			return fmt.Errorf("want a single value, not %s", tomlType(v))
		}
		text = fmt.Sprint(v)
	}
	// Check the value on a fresh value of the flag's type first, so that a
	// bad value is an error even when the command line or the environment
	// overrides it.
	set := func(v pflag.Value) error {
		if sv, ok := v.(pflag.SliceValue); ok {
			return sv.Replace(list)
		}
		return v.Set(text)
	}
	if scratch := newValueLike(f.Value); scratch != nil {
		if err := set(scratch); err != nil {
			return fmt.Errorf("%q: %w", text, err)
		}
	}
	if !f.Changed {
		if err := set(f.Value); err != nil {
			return fmt.Errorf("%q: %w", text, err)
		}
		f.Changed = true
	}
	return nil
}

// newValueLike returns a fresh value of v's type, for checking a value
// without setting v; nil for a type it does not know.
func newValueLike(v pflag.Value) pflag.Value {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	switch v.Type() {
	case "string":
		fs.String("x", "", "")
	case "duration":
		fs.Duration("x", 0, "")
	case "int":
		fs.Int("x", 0, "")
	case "float64":
		fs.Float64("x", 0, "")
	case "bool":
		fs.Bool("x", false, "")
	case "stringSlice":
		fs.StringSlice("x", nil, "")
	default:
		return nil
	}
	return fs.Lookup("x").Value
}

// tomlType names the TOML type of a decoded value, for errors.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// configExample writes a commented TOML file with every flag of fs but
// the config flag, each set to its default.
func configExample(w io.Writer, fs *pflag.FlagSet) error {
	var b strings.Builder
	b.WriteString("# chatserver serve's config file: chatserver serve --config FILE, or\n" +
		"# CHATSERVER_CONFIG=FILE. A flag on the command line wins over the\n" +
		"# environment (CHATSERVER_<KEY>), which wins over this file, which wins\n" +
		"# over the default. Every setting is shown with its default; SIGHUP\n" +
		"# re-reads the settings marked \"reloaded on SIGHUP\".\n")
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag || f.Hidden || err != nil {
			return
		}
		usage := f.Usage
		if reloadable(f) {
			usage += " (reloaded on SIGHUP)"
		}
		fmt.Fprintf(&b, "\n# %s\n# --%s, %s\n", usage, f.Name, envName(f.Name))
		var v []byte
		v, err = toml.Marshal(map[string]any{fileKey(f.Name): defaultValue(f)})
		b.Write(v)
	})
	if err != nil {
		return fmt.Errorf("config example: %w", err)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// defaultValue is f's default as a TOML value.
func defaultValue(f *pflag.Flag) any {
	switch f.Value.Type() {
	case "int":
		n, _ := strconv.ParseInt(f.DefValue, 10, 64)
		return n
	case "float64":
		x, _ := strconv.ParseFloat(f.DefValue, 64)
		return x
	case "bool":
		return f.DefValue == "true"
	case "stringSlice":
		if sv, ok := newValueLike(f.Value).(pflag.SliceValue); ok {
			s := strings.Trim(f.DefValue, "[]")
			if s == "" {
				return []string{}
			}
			sv.Replace(strings.Split(s, ","))
			return sv.GetSlice()
		}
	}
	return f.DefValue
}

// reloadAnnotation marks a flag SIGHUP re-reads from the config file.
const reloadAnnotation = "chatserver_reload"

// markReloadable marks the flags names as re-read on SIGHUP.
func markReloadable(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, reloadAnnotation, []string{"true"}); err != nil {
			panic(err) // a name not in the table: a bug in newServe
		}
	}
}

func reloadable(f *pflag.Flag) bool { return len(f.Annotations[reloadAnnotation]) > 0 }

// withEnv makes every flag of cmd and its subcommands settable with its
// environment variable (commandEnvName), and says so in its help. A command
// that reads the environment in a PreRunE of its own (serve, for its
// precedence) is left to it; the others get one.
func withEnv(cmd *cobra.Command) {
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || len(f.Annotations[envAnnotation]) > 0 {
			return
		}
		env := commandEnvName(cmd, f.Name)
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[envAnnotation] = []string{env}
		f.Usage += " [$" + env + "]"
	})
	if cmd.Runnable() && cmd.PreRunE == nil && cmd.PreRun == nil && cmd.HasAvailableLocalFlags() {
		cmd.PreRunE = func(cmd *cobra.Command, _ []string) error { return flagsFromEnv(cmd.Flags()) }
	}
	for _, c := range cmd.Commands() {
		withEnv(c)
	}
}

func newConfig(serveFlags func() *pflag.FlagSet) *cobra.Command {
	cfg := &cobra.Command{
		Use:   "config",
		Short: "Work with chatserver serve's config file",
		Args:  cobra.NoArgs,
	}
	cfg.AddCommand(&cobra.Command{
		Use:   "example",
		Short: "Print a config file with every setting, commented, at its default",
		Long: `Print a config file with every setting of chatserver serve, commented, at
its default. Copy it, keep what you change, and start with
chatserver serve --config FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return configExample(cmd.OutOrStdout(), serveFlags())
		},
	})
	return cfg
}
