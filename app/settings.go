package app

// Settings are the settings a running App takes without a restart.
type Settings struct {
	OpsFile       string  // Config.OpsFile
	MOTDFile      string  // Config.MOTDFile
	FloodBurst    int     // Config.FloodBurst, for connections made from now on
	FloodRate     float64 // Config.FloodRate, for connections made from now on
	MaxConns      int     // Config.MaxConns
	MaxConnsPerIP int     // Config.MaxConnsPerIP
}

// Settings returns the settings in force.
func (a *App) Settings() Settings {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	return a.settings()
}

func (a *App) settings() Settings {
	return Settings{OpsFile: a.cfg.OpsFile, MOTDFile: a.cfg.MOTDFile, FloodBurst: a.cfg.FloodBurst, FloodRate: a.cfg.FloodRate,
		MaxConns: a.cfg.MaxConns, MaxConnsPerIP: a.cfg.MaxConnsPerIP}
}

// Reload re-reads the operators file and the MOTD file, as SIGHUP asks,
// without logging anyone out: Update with the settings in force.
func (a *App) Reload() {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.update(a.settings())
}

// Update puts s in force without logging anyone out, and re-reads the
// operators file and the MOTD file it names. What changed is logged: keys
// added and removed, users online who gained or lost operator rights, the
// MOTD's lines, the limits. A file that cannot be read or parsed is logged
// and its old settings are kept. Safe for concurrent use; updates are
// serialised.
func (a *App) Update(s Settings) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.update(s)
}

func (a *App) update(s Settings) {
	if s.OpsFile != "" {
		a.reloadOperators(s.OpsFile)
	} else if a.cfg.OpsFile != "" {
		a.cfg.OpsFile = ""
		a.setOperators(operators{})
	}
	if s.MOTDFile != "" {
		a.reloadMOTD(s.MOTDFile)
	} else if a.cfg.MOTDFile != "" {
		a.cfg.MOTDFile = ""
		a.hub.SetMOTD(nil)
		a.log.Info("motd removed")
	}
	if s.FloodBurst != a.cfg.FloodBurst || s.FloodRate != a.cfg.FloodRate ||
		s.MaxConns != a.cfg.MaxConns || s.MaxConnsPerIP != a.cfg.MaxConnsPerIP {
		a.cfg.FloodBurst, a.cfg.FloodRate, a.cfg.MaxConns, a.cfg.MaxConnsPerIP = s.FloodBurst, s.FloodRate, s.MaxConns, s.MaxConnsPerIP
		a.setLimits()
		a.log.Info("limits changed", "flood_burst", s.FloodBurst, "flood_rate", s.FloodRate,
			"max_conns", s.MaxConns, "max_conns_per_ip", s.MaxConnsPerIP)
	}
}

// setLimits hands the doors the flood and connection limits of a.cfg.
func (a *App) setLimits() {
	if a.telnet != nil {
		a.telnet.SetLimits(a.cfg.MaxConns, a.cfg.MaxConnsPerIP, a.cfg.FloodBurst, a.cfg.FloodRate)
	}
	if a.ssh != nil {
		a.ssh.SetLimits(a.cfg.MaxConns, a.cfg.MaxConnsPerIP, a.cfg.FloodBurst, a.cfg.FloodRate)
	}
}
