
+)warning only: resource attributes dropped