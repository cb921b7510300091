-- The core aggregates as the conventional hand-written DuckDB query: the window is a row_number()
-- over every post (`window_sql_s` of `microscout bench metrics`; core.sql is the faster hand-written
-- query that hand_sql_s times). $now_s is the clock.
WITH window_posts AS (
    SELECT p.platform, p.creator_id, c.followers, p.published_at, p.likes, p.comments, p.views,
           row_number() OVER (PARTITION BY p.platform, p.creator_id
                              ORDER BY p.published_at DESC NULLS LAST, p.post_id DESC) AS rn
    FROM posts p
    JOIN creators c USING (platform, creator_id)
    WHERE p.kind IS NULL OR p.kind <> 'story'
    QUALIFY rn <= 30
),
agg AS (
    SELECT platform, creator_id, followers,
           count(*) AS posts_in_window,
           median(CASE WHEN followers > 0 THEN (likes + comments)::DOUBLE / followers END) AS er_followers,
           avg(CASE WHEN followers > 0 THEN (likes + comments)::DOUBLE / followers END) AS er_followers_mean,
           avg(CASE WHEN views > 0 THEN (likes + comments)::DOUBLE / views END) AS er_views_mean,
           epoch(min(published_at)) AS first_s,
           epoch(max(published_at)) AS last_s
    FROM window_posts
    GROUP BY platform, creator_id, followers
),
tiered AS (
    SELECT *,
           CASE WHEN last_s > first_s THEN (posts_in_window - 1) / ((last_s - first_s) / 604800.0) END
               AS posts_per_week,
           ($now_s - last_s) / 86400.0 AS days_since_last_post,
           CASE WHEN followers IS NULL THEN NULL
                WHEN followers >= 1000000 THEN 'mega'
                WHEN followers >= 500000 THEN 'macro'
                WHEN followers >= 100000 THEN 'mid'
                WHEN followers >= 10000 THEN 'micro'
                WHEN followers >= 1000 THEN 'nano'
                ELSE 'sub_nano' END AS tier
    FROM agg
)
SELECT platform, creator_id, followers, posts_in_window, er_followers, er_followers_mean, er_views_mean,
       posts_per_week, days_since_last_post, tier,
       percent_rank() OVER (PARTITION BY platform, tier ORDER BY er_followers) AS er_percentile
FROM tiered
