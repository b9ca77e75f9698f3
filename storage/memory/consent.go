package memory

// consentTables hold the consent definitions and the acceptance ledger.
type consentTables struct{}

func (t *consentTables) init() {}
