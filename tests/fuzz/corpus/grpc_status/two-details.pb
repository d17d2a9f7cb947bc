5
+type.googleapis.com/google.rpc.QuotaFailure

id0
(type.googleapis.com/google.rpc.RetryInfo
