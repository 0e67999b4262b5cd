"""Who is concerned at a date: derived figures per lease (positions) and each step's cohort."""
