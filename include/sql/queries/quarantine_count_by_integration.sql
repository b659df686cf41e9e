SELECT integration, COUNT(*) AS n FROM agent_status_quarantine GROUP BY integration
