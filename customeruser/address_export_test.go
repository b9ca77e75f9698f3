package customeruser

// Exported for the external tests of address.go.
var (
	ValidateAddresses = validateAddresses
	ValidPhone        = validPhone
	NormalizeAddress  = normalizeAddress
)
