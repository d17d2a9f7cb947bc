unavailable3
(type.googleapis.com/google.rpc.RetryInfo
€åšw