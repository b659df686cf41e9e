SELECT integration, COUNT(*) AS n FROM agent_status_events GROUP BY integration
