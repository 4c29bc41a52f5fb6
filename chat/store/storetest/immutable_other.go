//go:build !linux

package storetest

import "errors"

func setImmutable(string, bool) error { return errors.ErrUnsupported }
