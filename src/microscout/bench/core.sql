-- The core aggregates as one hand-written DuckDB query: the practical speed limit that
-- `microscout bench metrics` compares microscout's Ibis expression with (hand_sql_s). $now_s is
-- the clock. The window of each creator's 30 most recent posts (newest first, ties by the higher
-- post id, no time last) is cut with DuckDB's top-n aggregate max(x, n) instead of a row_number()
-- over every post (core_window.sql); the posts tied at the cut are ranked by id.
WITH cut AS (
    -- max(x, 30): the 30 latest times, newest first; the cut and the posts before it computed in
    -- the aggregate itself, so the lists never leave it
    SELECT platform, creator_id, count(*) AS n_posts,
           CASE WHEN count(published_at) >= 30 THEN max(published_at, 30)[30] END AS cut_at,
           CASE WHEN count(published_at) >= 30
                THEN list_position(max(published_at, 30), max(published_at, 30)[30]) - 1
                ELSE count(published_at) END AS n_before
    FROM posts
    WHERE kind IS NULL OR kind <> 'story'
    GROUP BY platform, creator_id
),
edge AS (
    SELECT p.platform, p.creator_id, min(p.post_id) AS edge_id
    FROM (
        SELECT p.platform, p.creator_id, p.post_id, c.n_before,
               row_number() OVER (PARTITION BY p.platform, p.creator_id ORDER BY p.post_id DESC) AS r
        FROM posts p JOIN cut c USING (platform, creator_id)
        WHERE (p.kind IS NULL OR p.kind <> 'story') AND c.n_posts > 30
          AND (p.published_at = c.cut_at OR (c.cut_at IS NULL AND p.published_at IS NULL))
    ) p
    WHERE r <= 30 - n_before
    GROUP BY p.platform, p.creator_id
),
cuts AS (
    SELECT c.platform, c.creator_id, c.n_posts, c.cut_at, e.edge_id
    FROM cut c LEFT JOIN edge e USING (platform, creator_id)
),
window_posts AS (
    SELECT p.platform, p.creator_id, cr.followers, p.published_at, p.likes, p.comments, p.views
    FROM posts p
    JOIN cuts c USING (platform, creator_id)
    JOIN creators cr USING (platform, creator_id)
    WHERE (p.kind IS NULL OR p.kind <> 'story')
      AND (c.n_posts <= 30 OR p.published_at > c.cut_at
           OR (c.cut_at IS NULL AND p.published_at IS NOT NULL)
           OR ((p.published_at = c.cut_at OR (c.cut_at IS NULL AND p.published_at IS NULL))
               AND p.post_id >= c.edge_id))
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
