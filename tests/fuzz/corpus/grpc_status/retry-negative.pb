9
(type.googleapis.com/google.rpc.RetryInfo
ûÿÿÿÿÿÿÿÿ