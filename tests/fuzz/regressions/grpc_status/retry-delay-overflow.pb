;
(type.googleapis.com/google.rpc.RetryInfo
€Ό®Ξ—	ÿ“λά