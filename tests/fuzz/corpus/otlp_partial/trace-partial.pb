
&"5 spans rejected: invalid trace id