package models_test

import (
	"os"
	"testing"

	"referrals/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }
