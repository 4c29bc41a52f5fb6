package main

import (
	"log/slog"
	"strconv"

	"github.com/spf13/pflag"

	"chatserver/app"
)

// givenFlags returns the values of the flags given on the command line,
// before the environment or a config file sets any other.
func givenFlags(fs *pflag.FlagSet) map[string]pflag.Value {
	given := map[string]pflag.Value{}
	fs.Visit(func(f *pflag.Flag) { given[f.Name] = f.Value })
	return given
}

// configReloader is what SIGHUP reloads: the settings resolved again from
// the command line, the environment and the config file, of which the
// reloadable ones are put in force.
type configReloader struct {
	app       *app.App
	log       *slog.Logger
	level     *slog.LevelVar // the logger's level
	given     map[string]pflag.Value
	lookupEnv func(string) (string, bool)
	running   *pflag.FlagSet // the settings in force, as flags
	doors     int            // doors listening, for fitConns
}

// Reload resolves serve's settings again and puts the reloadable ones
// that changed in force; each change is logged, and a setting that changed
// but needs a restart is logged as such. A config file that cannot be
// read, or has an unknown key or a bad value, is logged and nothing
// changes.
func (r *configReloader) Reload() {
	var nf serveFlags
	fs := serveFlagSet(&nf)
	for name, v := range r.given {
		f := fs.Lookup(name)
		var err error
		if sv, ok := v.(pflag.SliceValue); ok {
			err = f.Value.(pflag.SliceValue).Replace(sv.GetSlice())
		} else {
			err = f.Value.Set(v.String())
		}
		if err != nil { // the command line was parsed once already
			r.log.Error("config not reloaded, the old settings stay", "err", err)
			return
		}
		f.Changed = true
	}
	path, err := settings{fs: fs, lookupEnv: r.lookupEnv}.resolve()
	var level slog.Level
	if err == nil {
		err = level.UnmarshalText([]byte(nf.logLevel))
	}
	if err != nil {
		r.log.Error("config not reloaded, the old settings stay", "err", err)
		return
	}
	maxConns := r.app.Settings().MaxConns // as fitted under the open-file limit
	if r.running.Lookup("max-conns").Value.String() != strconv.Itoa(nf.maxConns) {
		maxConns = fitConns(r.log, r.doors, nf.maxConns)
	}
	fs.VisitAll(func(f *pflag.Flag) {
		old := r.running.Lookup(f.Name)
		if old.Value.String() == f.Value.String() {
			return
		}
		if !reloadable(f) {
			r.log.Warn("setting changed, needs a restart", "key", fileKey(f.Name), "running", old.Value.String(), "new", f.Value.String(), "config", path)
			return
		}
		r.log.Info("setting changed", "key", fileKey(f.Name), "old", old.Value.String(), "new", f.Value.String(), "config", path)
		old.Value.Set(f.Value.String()) // a reloadable setting is not a list
	})
	r.app.Update(app.Settings{
		OpsFile: nf.opsFile, MOTDFile: nf.motdFile, FloodBurst: nf.floodBurst, FloodRate: nf.floodRate,
		MaxConns: maxConns, MaxConnsPerIP: nf.maxConnsPerIP,
	})
	r.level.Set(level) // last, so that what this reload did is logged as before it
}
