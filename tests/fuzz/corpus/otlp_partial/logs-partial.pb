
body too large