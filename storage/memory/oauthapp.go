package memory

// oauthTables hold OAuth applications and access tokens.
type oauthTables struct{}

func (t *oauthTables) init() {}
