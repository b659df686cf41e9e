INSERT INTO employee_external_ids (integration, employee_id, external_employee_id,
                                   external_user_id, updated_at)
VALUES (:integration, :employee_id, :external_employee_id, :external_user_id, :now)
