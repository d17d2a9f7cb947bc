receiver overloaded6
(type.googleapis.com/google.rpc.RetryInfo

€Êµî