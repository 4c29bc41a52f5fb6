//go:build !linux

package store_test

import "errors"

func setImmutable(string, bool) error { return errors.ErrUnsupported }
