"""clausewatch: highlights the risky clauses of terms of service and privacy policies, locally."""
